"""The write side of the read models: kept up to date inside each append (`apply`) and rebuilt
from the log (`rebuild`). The queries over them are in ledger.reads."""
