"""Launch buttons (Binder, JupyterHub, Colab, Thebe): off by default, and working when on.

No site build: the tests read _config.yml through jupyter-book's own translation to Sphinx
settings (`get_final_config`, what `jupyter-book build` uses), then run the theme's two hooks
that make the launch menu (sphinx-book-theme's `update_context_with_repository_info` at
builder-inited and `add_launch_buttons` at html-page-context) on a notebook page with a small
stand-in for the Sphinx app, and render the buttons they add with the theme's own template
macros. Off, nothing is added; on, each button is a plain link to the configured service.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs

import jinja2
import pytest
import sphinx_book_theme
import yaml
from jupyter_book.config import get_final_config
from sphinx_book_theme.header_buttons import launch, update_context_with_repository_info

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
PAGE = "notebooks/01-sequential-data"  # a chapter notebook in _toc.yml
URL_KEYS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url")
FORK = "https://github.com/some-university/unrolled"


def theme_options(config: dict) -> dict:
    """html_theme_options as `jupyter-book build` derives them from a _config.yml dict."""
    sphinx_config, _ = get_final_config(
        user_yaml=copy.deepcopy(config),
        cli_config={"latex_individualpages": False},
        sourcedir=ROOT,
        raise_on_invalid=True,
    )
    return sphinx_config["html_theme_options"]


class _Config(SimpleNamespace):
    """Sphinx's Config answers both `config.name` and `config["name"]` (launch.py uses both)."""

    def __getitem__(self, name: str):
        return getattr(self, name)


def launch_menu(config: dict) -> tuple[list[dict], dict]:
    """The header buttons the theme adds to PAGE's context, and that context."""
    options = theme_options(config)
    app = SimpleNamespace(
        builder=SimpleNamespace(theme_options=options),
        config=_Config(html_theme_options=options, html_context={}),
        env=SimpleNamespace(
            doc2path=lambda name: str(ROOT / f"{name}.ipynb"),
            # myst-nb records each notebook's metadata (its kernelspec) for the theme
            metadata={PAGE: json.loads((ROOT / f"{PAGE}.ipynb").read_text())["metadata"]},
        ),
        outdir=str(ROOT / "_build" / "html"),
    )
    update_context_with_repository_info(app)  # builder-inited: repository.url -> context
    context = {
        **app.config.html_context,
        "pagename": PAGE,
        "sourcename": f"{PAGE}.ipynb",
        "page_source_suffix": ".ipynb",
        "header_buttons": [],
    }
    launch.add_launch_buttons(app, PAGE, "page.html", context, doctree=None)
    return context["header_buttons"], context


def render(buttons: list[dict]) -> str:
    """The HTML of the header buttons, through the theme's macros/buttons.html."""
    theme = Path(sphinx_book_theme.__file__).parent / "theme" / "sphinx_book_theme"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(theme))
    template = env.from_string(
        '{% from "macros/buttons.html" import render_funcs with context %}'
        "{% for b in buttons %}{% set o = b.copy() %}{% set t = o.pop('type') %}"
        "{{ render_funcs[t](**o) }}{% endfor %}"
    )
    return template.render(
        buttons=buttons,
        translate=lambda text: text,
        pathto=lambda target, flag=0: f"../{target}",  # PAGE is one folder deep
    )


def switched_on(**launch_buttons) -> dict:
    """_config.yml with repository.url set to a fork and the given launch settings."""
    config = copy.deepcopy(CONFIG)
    config["repository"]["url"] = FORK
    config["launch_buttons"].update(launch_buttons)
    return config


def test_config_has_launch_buttons_off_by_default():
    buttons = CONFIG["launch_buttons"]
    for key in URL_KEYS:
        assert not buttons.get(key), f"launch_buttons.{key} is set: {buttons[key]!r}"
    assert buttons["thebe"] is False
    # An empty repository.url overrides jupyter-book's default (its own GitHub repository),
    # so no page links to that repository either.
    options = theme_options(CONFIG)
    assert options["repository_url"] == ""
    assert options["launch_buttons"]["thebe"] is False
    assert not any(options["launch_buttons"].get(key) for key in URL_KEYS)
    # Thebe needs sphinx_thebe, which writes an unpkg.com address into every page.
    assert "sphinx_thebe" not in CONFIG["sphinx"]["config"]["extensions"]


def test_theme_adds_no_launch_button_when_off():
    buttons, context = launch_menu(CONFIG)
    assert buttons == []
    assert "use_thebe" not in context
    assert render(buttons) == ""


def test_theme_adds_nothing_off_even_with_a_repository():
    config = copy.deepcopy(CONFIG)
    config["repository"]["url"] = FORK
    buttons, context = launch_menu(config)
    assert buttons == []
    assert "use_thebe" not in context


def test_binder_and_colab_buttons_link_to_the_notebook_when_on():
    buttons, context = launch_menu(
        switched_on(
            binderhub_url="https://mybinder.org",
            colab_url="https://colab.research.google.com",
        )
    )
    [menu] = buttons
    assert menu["label"] == "launch-buttons"
    links = {b["text"]: b["url"] for b in menu["buttons"]}
    assert links == {
        "Binder": "https://mybinder.org/v2/gh/some-university/unrolled/main"
        f"?urlpath=lab/tree/{PAGE}.ipynb",
        "Colab": "https://colab.research.google.com/github/some-university/unrolled"
        f"/blob/main/{PAGE}.ipynb",
    }
    assert "use_thebe" not in context
    html = render(buttons)
    assert f'<a href="{links["Binder"]}" target="_blank"' in html
    assert f'<a href="{links["Colab"]}" target="_blank"' in html
    # The logos are files of the site, not of the services: nothing loads from another host.
    assert 'src="../_static/images/logo_binder.svg"' in html
    assert 'src="../_static/images/logo_colab.png"' in html
    assert "<script" not in html and "<link" not in html


def test_jupyterhub_button_pulls_the_repository_when_on():
    buttons, _ = launch_menu(switched_on(jupyterhub_url="https://hub.example.edu/"))
    [menu] = buttons
    [hub] = menu["buttons"]
    assert hub["text"] == "JupyterHub"
    address, query = hub["url"].split("?")
    assert address == "https://hub.example.edu/hub/user-redirect/git-pull"  # nbgitpuller
    assert parse_qs(query) == {
        "repo": [FORK],
        "urlpath": [f"lab/tree/unrolled/{PAGE}.ipynb"],
        "branch": ["main"],
    }


def test_thebe_button_only_when_switched_on():
    buttons, context = launch_menu(switched_on(thebe=True))
    [menu] = buttons
    [live] = menu["buttons"]
    assert live["type"] == "javascript" and live["javascript"] == "initThebeSBT()"
    assert context["use_thebe"] is True


def test_a_launch_url_without_repository_url_stops_the_build():
    """What the _config.yml comment promises: set repository.url with any launch URL."""
    config = copy.deepcopy(CONFIG)
    config["launch_buttons"]["binderhub_url"] = "https://mybinder.org"
    with pytest.raises(TypeError):
        launch_menu(config)
