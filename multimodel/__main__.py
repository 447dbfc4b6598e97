"""``python -m multimodel`` is the ``multimodel`` command."""

from multimodel.cli import main

raise SystemExit(main())
