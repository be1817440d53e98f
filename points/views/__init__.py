"""Points pages, a module per kind of user: ``members`` (their own points and declarations),
``convener`` (a branch's collection), ``community`` (verification, the annual minimum,
rewards and conduct), ``everyone`` (items, publicity, rankings, red/black lists) and
``exports`` (the appraisal workbook)."""
