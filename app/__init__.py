"""The path of a document without Prefect: extraction workers, the pipeline, delivery, baseline, reports.

The flows (flows/) and the command line call into this room; it never imports Prefect or typer, so it runs
the same under a Prefect task, a plain script or a test.
"""
