"""The read side: SQL that fetches what a SPEC §4 rule needs under (as_of, upto_seq), one module
per report, handing the rows to ledger.semantics for the rule itself.

A row counts when its effective ≤ as_of and, within the knowledge limit, its seq ≤ upto_seq
(ledger.sql.visible). Amounts are never summed in SQL (SQLite keeps them as decimal text):
Python sums them exactly, Decimals per booked rate, then one Fraction product per rate.
"""
