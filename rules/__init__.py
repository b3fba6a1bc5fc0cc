"""The controls, one module per family (installed as ``scanner.rules``).

Each module declares its controls with ``scanner.controls.control``; the
registry imports every module here.  Rules read only the normalized model.
"""
