import sys

from excel_addin.cli import main

sys.exit(main())
