"""Hand-written extensions of the generated API; specbase never writes here.

``custom/<resource>/`` may subclass the generated repository or service of that
resource and define ``router`` objects with extra routes; the app finds them at
startup by convention.
"""
