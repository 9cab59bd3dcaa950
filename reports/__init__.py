"""The building manager's reports, from the queue service's event log."""
