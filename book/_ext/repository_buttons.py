"""Launch, repository and issue buttons appear only once ``_config.yml`` names the book's repository.

``repository.url`` in ``_config.yml`` is the one place the repository is set: the launch
buttons (Binder, Colab), the repository and issue buttons, each chapter's Colab setup cell
(``scripts/clean_notebooks.py`` writes it) and the README read it. While it is empty, as
shipped, the pages show none of these buttons instead of links to a repository that does not
exist.
"""
from __future__ import annotations


def _configure(app, config):
    options = dict(config.html_theme_options)
    if (options.get("repository_url") or "").strip():
        options.update(use_repository_button=True, use_issues_button=True)
    else:
        for key in ("launch_buttons", "repository_url", "repository_branch", "path_to_docs"):
            options.pop(key, None)
    config.html_theme_options = options


def setup(app):
    app.connect("config-inited", _configure)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
