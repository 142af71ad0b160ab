"""Grading participants against the answer key.

The modules show where trust ends. Participant code (every cell of a graded notebook, every
revision file, anything those start) runs only inside the sandbox; verdicts come only from trusted
code outside it.

Trusted, outside the sandbox:

- ``runner``: the batch: finds submissions, builds each graded notebook from the key, collects
  nbval's verdicts into results;
- ``intake``: names and unpacking, regular files only, with limits;
- ``session``: one submission: its work folder (no key), its trusted folder (graded notebooks,
  settings, nbval's JUnit file), nbval with the grading kernel;
- ``states``: each exercise's starting state (files and a database dump), captured once per kit
  version by running the key, restored before each exercise;
- ``kernel``: the kernel nbval talks to: relays exercise cells to the sandboxed kernel, answers
  restore, check (and, capturing, start and save) cells itself;
- ``verdicts``: the lesson checks, run by trusted code with the participant's processes stopped;
- ``revisions``: revision files read as text, never imported;
- ``sandbox``: bubblewrap, limits, freezing and killing a sandbox's processes;
- ``server``: the grading PostgreSQL, a password-protected role and database per submission;
- ``report``: CSV, HTML and JUnit, with every value escaped;
- ``sample_class``: a class of tricky submissions to try grading on.

Untrusted, inside the sandbox:

- ``step``: one ``upgrade``/``downgrade``/``stamp`` of the participant's revisions, in a child
  forked for it from a warm server that runs no participant code itself.
"""
