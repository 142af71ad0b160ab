"""A pytest plugin for the nbval runs the kit starts: the same checks, a faster start.

jsonschema imports ``rfc3987_syntax`` when it is installed (jupyter-events pulls it in for
JupyterLab's server) to validate the ``iri`` string format, and that module builds a Lark
grammar at import time: about 1.1 s of every nbval process here, more than half of pytest's
whole start. Notebook validation never checks an IRI, so the processes that load this plugin
(``-p workshop.nbval_plugin``, given before nbval imports nbformat) skip that import; jsonschema
then simply does not check the ``iri`` format, as on any machine without the package.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)
