"""The database: schema, engine and sessions, migrations, config sync, and the queries use cases need."""
