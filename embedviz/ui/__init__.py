"""The Streamlit face of embedviz: the only package that imports streamlit.

``streamlit_app.py`` calls :func:`embedviz.ui.app.main`; the sidebar, the input, the cached
stages and each panel live in their own modules. The panels read one
:class:`~embedviz.pipeline.Analysis` and decide nothing that the pipeline decides.
"""
