"""Business rules of images: one spelling per media type."""

from __future__ import annotations

from generated.image.models import Image
from generated.image.schemas import ImageContentType, ImageCreate, ImageUpdate
from generated.image.service import ImageServiceBase

# Legacy spellings clients still send, and the one stored in their place.
_CANONICAL = {ImageContentType.image_jpg: ImageContentType.image_jpeg}


class ImageService(ImageServiceBase):
    """Stores ``image/jpg`` as ``image/jpeg`` whichever operation writes it."""

    async def before_create(self, data: ImageCreate) -> ImageCreate:
        return data.model_copy(update={"content_type": _canonical(data.content_type)})

    async def before_replace(self, row: Image, data: ImageCreate) -> ImageCreate:
        del row  # the new content type does not depend on the stored one
        return await self.before_create(data)

    async def before_update(self, row: Image, patch: ImageUpdate) -> ImageUpdate:
        del row
        if isinstance(patch.content_type, ImageContentType):
            return patch.model_copy(update={"content_type": _canonical(patch.content_type)})
        return patch


def _canonical(content_type: ImageContentType) -> ImageContentType:
    return _CANONICAL.get(content_type, content_type)
