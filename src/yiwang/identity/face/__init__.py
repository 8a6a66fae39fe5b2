"""Face-verification providers for assurance level 4, chosen by settings.IDENTITY_FACE_PROVIDER."""

from .base import FaceProvider, FaceResult, face_providers, get_face_provider, register

__all__ = ["FaceProvider", "FaceResult", "face_providers", "get_face_provider", "register"]
