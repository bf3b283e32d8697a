"""Read models: kept up to date inside each append (`apply`), rebuilt from the log (`rebuild`),
and queried at any (as-of date, knowledge limit) pair (`queries`)."""
