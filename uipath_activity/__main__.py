import sys

from uipath_activity.cli import main

sys.exit(main())
