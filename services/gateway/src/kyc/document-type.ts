/**
 * The type of an uploaded identity document, decided by its first bytes (magic
 * numbers), never by its name or the client's Content-Type: JPEG, PNG or PDF.
 */
export type DocumentMediaType = 'image/jpeg' | 'image/png' | 'application/pdf';

export const maxDocumentBytes = 5 * 1024 * 1024;

const signatures: readonly { readonly mediaType: DocumentMediaType; readonly bytes: readonly number[] }[] = [
  { mediaType: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { mediaType: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  // "%PDF-"
  { mediaType: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
];

export function detectDocumentType(content: Buffer): DocumentMediaType | undefined {
  for (const { mediaType, bytes } of signatures) {
    if (content.length > bytes.length && bytes.every((byte, index) => content[index] === byte)) return mediaType;
  }
  return undefined;
}
