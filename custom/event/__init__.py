"""Extensions of the Event resource."""
