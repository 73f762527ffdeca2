"""Course tools: automatic exercise checks (``checks``), the student edition (``student_edition``,
``student_notebook``), the plain-Jupyter edition (``plain_edition``, ``plain_notebook``), the table of contents
reader (``toc``), and two Sphinx extensions of the build: ``build_cache`` (re-execute the notebooks when ``utils``
changes) and ``colab_link`` (Colab opens the plain edition)."""
