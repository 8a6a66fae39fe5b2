"""The platform as an OpenID Connect provider (django-oauth-toolkit) for departmental systems."""
