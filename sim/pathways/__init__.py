"""Care pathways as plain code: life at home, crises, hospital stays, discharge, social care."""
