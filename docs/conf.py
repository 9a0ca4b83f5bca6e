# Sphinx configuration for the orm documentation.
# The pages are plain reStructuredText; autodoc is deliberately not used so
# that building the docs never depends on importing the package.

project = 'orm'
author = 'orm contributors'
copyright = '2024, orm contributors'
release = '0.1.0'
version = '0.1'

extensions = []

root_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store']
templates_path = []
highlight_language = 'python3'
pygments_style = 'sphinx'

html_theme = 'alabaster'
html_static_path = []
html_title = 'orm documentation'
