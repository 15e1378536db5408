"""The output-format comparison: parsing values, deterministic encoding, the zoomed crops, sizes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from settings_guide.figures.run.encode import encode_as, format_supported, unsupported_reason, zoomed_crop
from settings_guide.kinds.output_format import human_size, parse_format

VALUES = ["png", "jpeg-90", "jpeg-40", "webp-80", "webp-lossless", "avif-60"]


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    """Smooth gradients with sharp-edged shapes and fine noise: what lossy formats smear, block or ring."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:256, 0:320]
    image = np.stack([x * 255 / 319, y * 255 / 255, (x + y) * 255 / 575], axis=-1)
    image[96:160, 128:192] = [230, 30, 40]  # a red square: ringing and colour bleeding at its edges
    image += rng.normal(0, 12, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def writable(value: str):
    fmt = parse_format(value)
    if not format_supported(fmt):
        pytest.skip(unsupported_reason(fmt))
    return fmt


@pytest.mark.parametrize(
    ("value", "extension", "mime_type", "label", "quality"),
    [
        ("png", ".png", "image/png", "PNG, lossless", None),
        ("jpeg-90", ".jpg", "image/jpeg", "JPEG, quality 90", 90),
        ("webp-80", ".webp", "image/webp", "WebP, quality 80", 80),
        ("webp-lossless", ".webp", "image/webp", "WebP, lossless", None),
        ("avif-60", ".avif", "image/avif", "AVIF, quality 60", 60),
        ("jpeg-1", ".jpg", "image/jpeg", "JPEG, quality 1", 1),
        ("avif-100", ".avif", "image/avif", "AVIF, quality 100", 100),
    ],
)
def test_a_value_names_format_quality_extension_and_label(value, extension, mime_type, label, quality):
    fmt = parse_format(value)
    assert (fmt.extension, fmt.mime_type, fmt.label, fmt.quality) == (extension, mime_type, label, quality)
    assert fmt.value == value  # the spelling round-trips: it can name files and enter cache keys


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("gif", "unknown output format 'gif': use png, jpeg-90"),
        ("jpg-90", "(did you mean 'jpeg-90'?)"),
        ("JPEG-40", "(did you mean 'jpeg-40'?)"),
        ("jpeg", "JPEG needs a quality from 1 to 100, e.g. 'jpeg-80'"),
        ("jpeg-0", "the JPEG quality must be a whole number from 1 to 100, not '0'"),
        ("webp-101", "the WebP quality must be a whole number from 1 to 100, not '101'"),
        ("avif-6.5", "not '6.5'"),
        ("png-90", "PNG is lossless and takes no quality; write just 'png'"),
        ("jpeg-lossless", "only WebP has a lossless mode here"),
    ],
)
def test_a_wrong_value_says_what_to_write_instead(value, message):
    with pytest.raises(ValueError) as raised:
        parse_format(value)
    assert message in str(raised.value)


@pytest.mark.parametrize("value", VALUES)
def test_the_bytes_are_a_file_of_that_format_the_same_size_without_metadata(pixels, value, tmp_path):
    fmt = writable(value)
    data = encode_as(pixels, fmt)
    path = tmp_path / f"image{fmt.extension}"
    path.write_bytes(data)
    assert path.stat().st_size == len(data)  # the size the page reports is the file's, byte for byte
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == fmt.pillow_format
        assert image.size == (320, 256)
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)
        image.load()
    assert data.startswith(_MAGIC[fmt.name]) or _MAGIC[fmt.name] in data[:12]


_MAGIC = {"png": b"\x89PNG", "jpeg": b"\xff\xd8\xff", "webp": b"WEBP", "avif": b"ftypavif"}


@pytest.mark.parametrize("value", VALUES)
def test_encoding_is_deterministic(pixels, value):
    fmt = writable(value)
    assert encode_as(pixels, fmt) == encode_as(pixels.copy(), fmt)


@pytest.mark.parametrize("value", ["png", "webp-lossless"])
def test_lossless_formats_give_the_pixels_back(pixels, value):
    data = encode_as(pixels, writable(value))
    with Image.open(io.BytesIO(data)) as image:
        assert np.array_equal(np.asarray(image.convert("RGB")), pixels)


def test_lower_quality_means_fewer_bytes_and_more_error(pixels):
    def decoded_error(value: str) -> tuple[int, float]:
        data = encode_as(pixels, parse_format(value))
        with Image.open(io.BytesIO(data)) as image:
            difference = np.asarray(image.convert("RGB"), dtype=float) - pixels
        return len(data), float(np.abs(difference).mean())

    (size_90, error_90), (size_40, error_40) = decoded_error("jpeg-90"), decoded_error("jpeg-40")
    assert size_40 < size_90 and error_40 > error_90 > 0


def test_the_avif_writer_works_or_says_why_not():
    fmt = parse_format("avif-60")
    reason = unsupported_reason(fmt)
    assert format_supported(fmt) == (reason is None)
    if reason is not None:
        assert "AVIF" in reason and "libavif" in reason
        with pytest.raises(ValueError, match="libavif"):
            encode_as(np.zeros((8, 8, 3), np.uint8), fmt)


def test_encode_as_rejects_anything_but_rgb_bytes():
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        encode_as(np.zeros((8, 8, 4), np.uint8), parse_format("png"))
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        encode_as(np.zeros((8, 8, 3), np.float32), parse_format("png"))


def crop_of(data: bytes, **options) -> np.ndarray:
    with Image.open(io.BytesIO(zoomed_crop(data, **options))) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def test_the_crop_is_an_eighth_of_the_width_enlarged_four_times_pixel_for_pixel(pixels):
    data = encode_as(pixels, parse_format("png"))
    crop = crop_of(data)
    assert crop.shape == (160, 160, 3)  # 320 / 8 = 40 pixels, 4x
    # NEAREST: each source pixel becomes a 4x4 block, and the centre square is the source's.
    assert np.array_equal(crop[::4, ::4], pixels[108:148, 140:180])
    assert np.array_equal(crop[3::4, 3::4], crop[::4, ::4])


def test_a_crop_near_the_edge_moves_inside_the_image_and_keeps_its_size(pixels):
    data = encode_as(pixels, parse_format("png"))
    corner = crop_of(data, centre=(1.0, 0.0), width_fraction=0.25, zoom=2)
    assert corner.shape == (160, 160, 3)
    assert np.array_equal(corner[::2, ::2], pixels[0:80, 240:320])
    with pytest.raises(ValueError, match="centre"):
        zoomed_crop(data, centre=(1.5, 0.5))


def test_the_crop_shows_the_formats_artefacts(pixels):
    lossless = crop_of(encode_as(pixels, parse_format("png")))
    lossy = crop_of(encode_as(pixels, parse_format("jpeg-40")))
    assert not np.array_equal(lossless, lossy)


@pytest.mark.parametrize(
    ("n_bytes", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (1000, "1 KB"),  # decimal: KB = 1000 bytes
        (181_600, "182 KB"),
        (999_499, "999 KB"),
        (999_500, "1.0 MB"),  # not "1000 KB"
        (1_400_000, "1.4 MB"),
        (23_456_789, "23.5 MB"),
    ],
)
def test_human_size(n_bytes, text):
    assert human_size(n_bytes) == text
