"""embedviz in the browser: paste or upload texts, see how they relate.

Run with:  streamlit run streamlit_app.py
The page lives in embedviz/ui (sidebar, inputs, cached stages, one module of panels); every
computation is a call into the embedviz package.
"""

from embedviz.ui.app import main

main()
