"""Course tools: automatic exercise checks (``checks``), the student edition (``student_edition``) and the table
of contents reader (``toc``)."""
