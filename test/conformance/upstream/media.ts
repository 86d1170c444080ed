// Smallest valid media the suite's content checks accept: the suite only checks that `data` and
// `mimeType` are present, but real files keep a client that decodes them from choking.

/** A 1x1 red PNG. */
export const RED_PIXEL_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A WAV header with one silent 16-bit mono sample at 8 kHz. */
export const SILENT_WAV_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==';
