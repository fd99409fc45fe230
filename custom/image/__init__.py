"""Extensions of the Image resource."""
