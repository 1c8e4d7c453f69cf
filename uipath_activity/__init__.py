"""The `docrelay` invoke-step executable for UiPath and Power Automate (cli.py), and its RPA kit."""
