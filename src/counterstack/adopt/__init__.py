"""Take over a running deployment: find what each unit would create, import it, forget the old root.

`environment` reads what a live/<env> would create, `discover` finds those objects in an account,
`write` writes the import blocks and identity inputs, `removed` prints the old root's `removed`
blocks and `plan_gate` checks that the adoption plan replaces and destroys nothing.
"""
