"""Grading participants against the answer key.

The folder shows where trust ends. Participant code (every cell of a graded notebook, every
revision file, anything those start) runs only inside the sandbox; verdicts come only from trusted
code outside it:

- ``runner``: the batch: finds submissions, builds each graded notebook from the key, runs nbval,
  reads its results. Trusted.
- ``report``: CSV, HTML and JUnit reports, written only by trusted code. Trusted.
- ``sample_class``: a class of tricky submissions to try grading on.
"""
