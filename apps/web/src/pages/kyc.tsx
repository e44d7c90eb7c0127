import { text } from '../components/form-data';
import { useRef, useState, type DragEvent, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, getAccessToken, type DocumentType, type Submission, type UploadedDocument } from '../api/client';
import { describe, shownOf, type Shown } from '../api/problem';
import { Card, Field, Loading, Notice, ProblemAlert, Select } from '../components/ui';
import { tierName } from '../components/tiers';
import { useKyc, useMe } from './queries';

/** The same rules as the gateway's schema, checked before sending. */
export function checkLevel1(values: Record<string, string>, today: Date): Record<string, string> {
  const errors: Record<string, string> = {};
  const blank = (key: string) => (values[key] ?? '').trim() === '';
  if (blank('firstName')) errors.firstName = 'Enter your first name.';
  if (blank('lastName')) errors.lastName = 'Enter your last name.';
  const birth = values.dateOfBirth ?? '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(birth)) errors.dateOfBirth = 'Enter your date of birth.';
  else if (ageOn(birth, today) < 18) errors.dateOfBirth = 'You must be 18 or older.';
  if (blank('address.line1')) errors['address.line1'] = 'Enter the street and number.';
  if (blank('address.city')) errors['address.city'] = 'Enter the city.';
  if (!/^[A-Za-z0-9 -]{2,12}$/.test(values['address.postalCode'] ?? ''))
    errors['address.postalCode'] = 'Enter a postal code of 2 to 12 letters, digits, spaces or dashes.';
  if (!/^[A-Z]{2}$/.test(values['address.country'] ?? ''))
    errors['address.country'] = 'Enter a two-letter country code such as DE.';
  if (!/^\+[1-9][0-9]{6,14}$/.test(values.phone ?? ''))
    errors.phone =
      'Enter the number in international form: + then country code and number, digits only, e.g. +4930123456.';
  return errors;
}

function ageOn(birth: string, today: Date): number {
  const [year = 0, month = 0, day = 0] = birth.split('-').map(Number);
  let age = today.getUTCFullYear() - year;
  const beforeBirthday =
    today.getUTCMonth() + 1 < month || (today.getUTCMonth() + 1 === month && today.getUTCDate() < day);
  if (beforeBirthday) age -= 1;
  return age;
}

export function KycPage() {
  const me = useMe();
  const kyc = useKyc();
  if (me.isPending || kyc.isPending) return <Loading label="Loading your verification…" />;
  if (me.isError) return <ProblemAlert shown={shownOf(me.error)} />;
  if (kyc.isError) return <ProblemAlert shown={shownOf(kyc.error)} />;
  const user = me.data;
  const submissions = kyc.data.level2.slice().sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
  const latest = submissions[0];
  return (
    <div className="stack narrow-wide">
      <h1>Verification</h1>
      <p className="lead">
        Your tier: <span className={`tier tier-${user.tier}`}>{tierName[user.tier]}</span>
      </p>
      <ol className="steps" aria-label="Verification steps">
        <li className={user.kyc.level1 ? 'done' : 'current'}>
          Level 1: personal details {user.kyc.level1 ? '(done)' : ''}
        </li>
        <li className={user.kyc.level2 === 'approved' ? 'done' : user.kyc.level1 ? 'current' : ''}>
          Level 2: identity document {user.kyc.level2 === 'approved' ? '(done)' : ''}
        </li>
      </ol>
      {user.kyc.level1 ? (
        <Card title="Level 1: personal details">
          <p>
            Submitted for {kyc.data.level1?.firstName} {kyc.data.level1?.lastName}. You are at least at tier Basic.
          </p>
        </Card>
      ) : (
        <Level1Form />
      )}
      {user.kyc.level1 ? (
        <>
          {latest === undefined ? null : <SubmissionStatus submission={latest} />}
          {latest === undefined || latest.status === 'rejected' ? (
            <Level2Form title={latest === undefined ? 'Level 2: identity document' : 'Submit a new document'} />
          ) : null}
        </>
      ) : null}
    </div>
  );
}

function SubmissionStatus({ submission }: { readonly submission: Submission }) {
  const label = { pending: 'Pending review', approved: 'Approved', rejected: 'Rejected' }[submission.status];
  return (
    <Card title="Level 2: identity document">
      <p>
        Status: <span className={`status status-${submission.status}`}>{label}</span>
      </p>
      <p className="muted small">
        {documentName[submission.documentType]} {submission.documentNumber}, submitted{' '}
        {new Date(submission.submittedAt).toLocaleString()}
      </p>
      {submission.status === 'pending' ? (
        <p>An operator is checking your document. You reach Full when it is approved.</p>
      ) : null}
      {submission.status === 'approved' ? <p>Your identity is verified: you have tier Full.</p> : null}
      {submission.status === 'rejected' ? (
        <Notice tone="warning">
          <p>
            <strong>Reason:</strong> {submission.rejectionReason ?? 'No reason given.'}
          </p>
          <p>Correct what the reason says and submit a new document below.</p>
        </Notice>
      ) : null}
    </Card>
  );
}

const documentName: { readonly [D in DocumentType]: string } = {
  passport: 'Passport',
  id_card: 'Identity card',
  driving_licence: 'Driving licence',
};

function Level1Form() {
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Shown | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const values: Record<string, string> = {};
    for (const key of data.keys()) values[key] = text(data, key);
    values['address.country'] = (values['address.country'] ?? '').trim().toUpperCase();
    values.phone = (values.phone ?? '').replace(/[\s()-]/g, '');
    const found = checkLevel1(values, new Date());
    setErrors(found);
    setProblem(undefined);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    const line2 = (values['address.line2'] ?? '').trim();
    const result = await api
      .POST('/v1/kyc/level1', {
        body: {
          firstName: (values.firstName ?? '').trim(),
          lastName: (values.lastName ?? '').trim(),
          dateOfBirth: values.dateOfBirth ?? '',
          phone: values.phone,
          address: {
            line1: (values['address.line1'] ?? '').trim(),
            ...(line2 === '' ? {} : { line2 }),
            city: (values['address.city'] ?? '').trim(),
            postalCode: (values['address.postalCode'] ?? '').trim(),
            country: values['address.country'],
          },
        },
      })
      .catch((error: unknown) => ({ error, data: undefined, response: undefined }));
    setBusy(false);
    if (result.data === undefined) {
      setProblem(describe(result.error, result.response?.status));
      return;
    }
    await queryClient.invalidateQueries();
  }
  const error = (key: string) => errors[key] ?? problem?.fields[key];
  return (
    <Card title="Level 1: personal details">
      <form
        className="stack"
        onSubmit={(event) => void submit(event)}
        noValidate
        aria-label="Level 1: personal details"
      >
        <ProblemAlert shown={problem} />
        <div className="grid-2">
          <Field label="First name" name="firstName" autoComplete="given-name" required error={error('firstName')} />
          <Field label="Last name" name="lastName" autoComplete="family-name" required error={error('lastName')} />
        </div>
        <Field
          label="Date of birth"
          name="dateOfBirth"
          type="date"
          autoComplete="bday"
          required
          hint="You need to be at least 18 years old."
          error={error('dateOfBirth')}
        />
        <Field
          label="Street and number"
          name="address.line1"
          autoComplete="address-line1"
          required
          error={error('address.line1')}
        />
        <Field
          label="Address line 2 (optional)"
          name="address.line2"
          autoComplete="address-line2"
          error={error('address.line2')}
        />
        <div className="grid-3">
          <Field
            label="Postal code"
            name="address.postalCode"
            autoComplete="postal-code"
            required
            error={error('address.postalCode')}
          />
          <Field
            label="City"
            name="address.city"
            autoComplete="address-level2"
            required
            error={error('address.city')}
          />
          <Field
            label="Country code"
            name="address.country"
            autoComplete="country"
            maxLength={2}
            required
            hint="Two letters, e.g. DE"
            error={error('address.country')}
          />
        </div>
        <Field
          label="Phone"
          name="phone"
          type="tel"
          autoComplete="tel"
          required
          hint="International form, e.g. +4930123456"
          error={error('phone')}
        />
        <button className="button" type="submit" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit level 1'}
        </button>
      </form>
    </Card>
  );
}

type Upload =
  | { readonly state: 'idle' }
  | { readonly state: 'uploading'; readonly name: string; readonly percent: number }
  | { readonly state: 'done'; readonly name: string; readonly document: UploadedDocument }
  | { readonly state: 'failed'; readonly name: string; readonly problem: Shown };

/** Upload through XMLHttpRequest, the one browser API that reports upload progress. */
function uploadDocument(file: File, onProgress: (percent: number) => void): Promise<UploadedDocument> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/v1/kyc/documents');
    // The gateway decides by the bytes; other types go as octet-stream so it can say what it found.
    const accepted = ['image/jpeg', 'image/png', 'application/pdf'];
    request.setRequestHeader('content-type', accepted.includes(file.type) ? file.type : 'application/octet-stream');
    const token = getAccessToken();
    if (token !== undefined) request.setRequestHeader('authorization', `Bearer ${token}`);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
    };
    request.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(request.responseText) as unknown;
      } catch {
        body = undefined;
      }
      if (request.status === 201) resolve(body as UploadedDocument);
      else reject(new Error('upload', { cause: describe(body, request.status) }));
    };
    request.onerror = () => reject(new Error('upload', { cause: describe(new TypeError('network')) }));
    request.send(file);
  });
}

const maxBytes = 5 * 1024 * 1024;

function Level2Form({ title }: { readonly title: string }) {
  const queryClient = useQueryClient();
  const [upload, setUpload] = useState<Upload>({ state: 'idle' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Shown | undefined>();
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const picker = useRef<HTMLInputElement>(null);

  function take(file: File | undefined) {
    if (file === undefined) return;
    if (file.size > maxBytes) {
      setUpload({
        state: 'failed',
        name: file.name,
        problem: { ...describe(undefined, 413), message: 'The file is larger than 5 MiB.' },
      });
      return;
    }
    setUpload({ state: 'uploading', name: file.name, percent: 0 });
    uploadDocument(file, (percent) => setUpload({ state: 'uploading', name: file.name, percent }))
      .then((document) => setUpload({ state: 'done', name: file.name, document }))
      .catch((error: unknown) =>
        setUpload({ state: 'failed', name: file.name, problem: (error as Error).cause as Shown }),
      );
  }

  function drop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    take(event.dataTransfer.files[0]);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const documentType = text(data, 'documentType') as DocumentType;
    const documentNumber = text(data, 'documentNumber').trim();
    const issuingCountry = text(data, 'issuingCountry').trim().toUpperCase();
    const expiryDate = text(data, 'expiryDate');
    const found: Record<string, string> = {};
    if (!['passport', 'id_card', 'driving_licence'].includes(documentType))
      found.documentType = 'Choose the kind of document.';
    if (!/^[A-Za-z0-9-]{4,30}$/.test(documentNumber))
      found.documentNumber = 'Enter the number as printed: 4 to 30 letters, digits or dashes.';
    if (!/^[A-Z]{2}$/.test(issuingCountry)) found.issuingCountry = 'Enter a two-letter country code such as DE.';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(expiryDate)) found.expiryDate = 'Enter the expiry date.';
    if (upload.state !== 'done') found.documentId = 'Upload a photo or scan of the document first.';
    setErrors(found);
    setProblem(undefined);
    if (Object.keys(found).length > 0 || upload.state !== 'done') return;
    setBusy(true);
    const result = await api
      .POST('/v1/kyc/level2', {
        body: { documentType, documentNumber, issuingCountry, expiryDate, documentId: upload.document.documentId },
      })
      .catch((error: unknown) => ({ error, data: undefined, response: undefined }));
    setBusy(false);
    if (result.data === undefined) {
      setProblem(describe(result.error, result.response?.status));
      return;
    }
    await queryClient.invalidateQueries();
  }
  const error = (key: string) => errors[key] ?? problem?.fields[key];
  const fileError =
    errors.documentId ?? problem?.fields.documentId ?? (upload.state === 'failed' ? upload.problem.message : undefined);
  return (
    <Card title={title}>
      <form
        className="stack"
        onSubmit={(event) => void submit(event)}
        noValidate
        aria-label="Level 2: identity document"
      >
        <ProblemAlert shown={problem} />
        <div className="grid-2">
          <Select label="Document type" name="documentType" defaultValue="passport" error={error('documentType')}>
            <option value="passport">Passport</option>
            <option value="id_card">Identity card</option>
            <option value="driving_licence">Driving licence</option>
          </Select>
          <Field label="Document number" name="documentNumber" required error={error('documentNumber')} />
        </div>
        <div className="grid-2">
          <Field
            label="Issuing country"
            name="issuingCountry"
            maxLength={2}
            required
            hint="Two letters, e.g. DE"
            error={error('issuingCountry')}
          />
          <Field label="Expiry date" name="expiryDate" type="date" required error={error('expiryDate')} />
        </div>
        <div
          className={`dropzone${dragging ? ' dropzone-active' : ''}${fileError === undefined ? '' : ' field-invalid'}`}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={drop}
        >
          <label htmlFor="document-file" className="dropzone-label">
            Document file
          </label>
          <p className="muted small">Drag a JPEG, PNG or PDF here (at most 5 MiB), or</p>
          <input
            ref={picker}
            id="document-file"
            className="visually-hidden"
            type="file"
            accept="image/jpeg,image/png,application/pdf"
            aria-describedby={fileError === undefined ? undefined : 'document-file-error'}
            onChange={(event) => take(event.currentTarget.files?.[0])}
          />
          <button type="button" className="button button-secondary" onClick={() => picker.current?.click()}>
            Choose a file
          </button>
          {upload.state === 'uploading' ? (
            <div className="progress-row">
              <progress max={100} value={upload.percent} aria-label={`Uploading ${upload.name}`} />
              <span>{upload.percent}%</span>
            </div>
          ) : null}
          {upload.state === 'done' ? (
            <p className="success small" role="status">
              Uploaded {upload.name} ({Math.ceil(upload.document.sizeBytes / 1024)} KiB)
            </p>
          ) : null}
          {fileError === undefined ? null : (
            <p className="field-error" id="document-file-error" role="alert">
              {fileError}
            </p>
          )}
        </div>
        <button className="button" type="submit" disabled={busy || upload.state === 'uploading'}>
          {busy ? 'Submitting…' : 'Submit level 2'}
        </button>
      </form>
    </Card>
  );
}
