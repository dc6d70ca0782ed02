"""The project's SQL files, shipped inside the wheel as the package ``pipelines.sql``.

They stay at the top of the repository (``sql/``) so analysts find them; pyproject maps this
folder into the package, and :mod:`pipelines.warehouse.sql` reads them through
``importlib.resources``, so an installed wheel and a checkout read the same files.
"""
