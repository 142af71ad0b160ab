"""The checks of each lesson's exercises, one module per lesson (``lessonNN.py``).

Every module here is imported, so that its ``@exercise`` functions register themselves; a new
lesson adds its module and touches nothing else.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
