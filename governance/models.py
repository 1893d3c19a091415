from django.db import models

from governance.auth.models import ApiToken


class KeyMaterial(models.Model):
    """A named data key, stored only wrapped under a master key version."""

    purpose = models.CharField(max_length=64, unique=True)
    wrapped = models.BinaryField()

    def __str__(self) -> str:
        return self.purpose


__all__ = ["ApiToken", "KeyMaterial"]
