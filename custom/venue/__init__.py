"""Extensions of the Venue resource."""
