"""JupyterLab settings for `make lab`: the course works offline, so Lab never reaches out."""

c = get_config()  # noqa: F821 (injected by Jupyter when it loads this file)

c.ServerApp.open_browser = False
c.LabApp.news_url = None  # no announcements feed
c.LabApp.check_for_updates_class = "jupyterlab.handlers.announcements.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"  # no PyPI queries from the extension manager
