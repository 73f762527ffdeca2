"""Course tools: automatic exercise checks (``checks``, messages in ``check_messages``), the student edition
(``student_edition``, ``student_notebook``), the plain-Jupyter edition (``plain_edition``, ``plain_notebook``), the
table of contents reader (``toc``), the notebooks' shared hidden setup cell (``setup_cell``), and the Sphinx
extensions of the build: ``build_cache`` (re-execute the notebooks when ``utils`` changes), ``colab_link`` (Colab
opens the plain edition), ``notebook_macros`` (math macros in every notebook) and ``lite`` (the JupyterLite
edition in ``_build/html/lite``, built by ``lite_build`` with the Pyodide set-up of ``lite_pyodide``)."""
