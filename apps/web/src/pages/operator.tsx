import { text } from '../components/form-data';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type DocumentType } from '../api/client';
import { describe, must, shownOf, type Shown } from '../api/problem';
import { Card, Empty, Field, Loading, Notice, ProblemAlert, Summary } from '../components/ui';

const documentName: { readonly [D in DocumentType]: string } = {
  passport: 'Passport',
  id_card: 'Identity card',
  driving_licence: 'Driving licence',
};

const statusName = { pending: 'Pending', approved: 'Approved', rejected: 'Rejected' } as const;

export function ReviewQueuePage() {
  const queue = useQuery({
    queryKey: ['review-queue'],
    queryFn: async () => must(await api.GET('/v1/operator/kyc/pending', { params: { query: { limit: 100 } } })),
  });
  const submissions = queue.data?.submissions ?? [];
  return (
    <div className="stack">
      <h1>KYC review</h1>
      <p className="lead">Identity documents waiting for a decision, oldest first.</p>
      {queue.isPending ? <Loading label="Loading the queue…" /> : null}
      {queue.isError ? <ProblemAlert shown={shownOf(queue.error)} /> : null}
      {queue.isSuccess && submissions.length === 0 ? (
        <Empty>Nothing to review. New submissions appear here.</Empty>
      ) : null}
      {submissions.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Pending submissions</caption>
            <thead>
              <tr>
                <th scope="col">Submitted</th>
                <th scope="col">Document</th>
                <th scope="col">Country</th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {submissions.map((submission) => (
                <tr key={submission.submissionId}>
                  <td>{new Date(submission.submittedAt).toLocaleString()}</td>
                  <td>
                    {documentName[submission.documentType]} {submission.documentNumber}
                  </td>
                  <td>{submission.issuingCountry}</td>
                  <td>
                    <Link to={`/review/${submission.submissionId}`} aria-label={`Review ${submission.documentNumber}`}>
                      Review
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

/** The uploaded file, fetched with the operator's token and shown from memory. */
function DocumentView({ submissionId, mediaType }: { readonly submissionId: string; readonly mediaType: string }) {
  const [url, setUrl] = useState<string | undefined>();
  const [problem, setProblem] = useState<Shown | undefined>();
  useEffect(() => {
    let live = true;
    let made: string | undefined;
    void api
      .GET('/v1/operator/kyc/{submissionId}/document', { params: { path: { submissionId } }, parseAs: 'blob' })
      .then((result) => {
        if (!live) return;
        if (result.data === undefined) setProblem(describe(result.error, result.response.status));
        else {
          made = URL.createObjectURL(new Blob([result.data], { type: mediaType }));
          setUrl(made);
        }
      })
      .catch((error: unknown) => live && setProblem(describe(error)));
    return () => {
      live = false;
      if (made !== undefined) URL.revokeObjectURL(made);
    };
  }, [submissionId, mediaType]);
  if (problem !== undefined) return <ProblemAlert shown={problem} />;
  if (url === undefined) return <Loading label="Loading the document…" />;
  // The page's CSP allows blob: images but no plugins or frames, so a PDF is opened or saved instead.
  if (mediaType === 'application/pdf')
    return (
      <div className="document document-file">
        <p>The document is a PDF.</p>
        <a className="button button-secondary" href={url} download="identity-document.pdf">
          Download the PDF
        </a>
      </div>
    );
  return (
    <div className="document">
      <img src={url} alt="The uploaded identity document" />
    </div>
  );
}

export function ReviewPage() {
  const { submissionId = '' } = useParams();
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: ['review', submissionId],
    queryFn: async () => must(await api.GET('/v1/operator/kyc/{submissionId}', { params: { path: { submissionId } } })),
  });
  const [problem, setProblem] = useState<Shown | undefined>();
  const [reasonError, setReasonError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function decide(kind: 'approve' | 'reject', reason?: string) {
    setBusy(true);
    setProblem(undefined);
    const result =
      kind === 'approve'
        ? await api.POST('/v1/operator/kyc/{submissionId}/approve', { params: { path: { submissionId } } })
        : await api.POST('/v1/operator/kyc/{submissionId}/reject', {
            params: { path: { submissionId } },
            body: { reason: reason ?? '' },
          });
    setBusy(false);
    if (result.data === undefined) {
      const shown = describe(result.error, result.response.status);
      setProblem(shown);
      setReasonError(shown.fields.reason);
      return;
    }
    // The queue is not on screen now: refetch it anyway, so going back never shows the decided submission.
    await queryClient.invalidateQueries({ queryKey: ['review-queue'], refetchType: 'all' });
    await queryClient.invalidateQueries({ queryKey: ['review', submissionId] });
  }

  function reject(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const reason = text(new FormData(event.currentTarget), 'reason').trim();
    if (reason === '') {
      setReasonError('Say why, so the person knows what to correct.');
      return;
    }
    setReasonError(undefined);
    void decide('reject', reason);
  }

  const data = detail.data;
  return (
    <div className="stack">
      <p>
        <Link to="/review">← Review queue</Link>
      </p>
      <h1>KYC submission</h1>
      {detail.isPending ? <Loading label="Loading the submission…" /> : null}
      {detail.isError ? <ProblemAlert shown={shownOf(detail.error)} /> : null}
      {data === undefined ? null : (
        <div className="grid-2">
          <div className="stack">
            <Card title="Person">
              <Summary
                rows={[
                  ['Name', data.level1 === null ? 'Not given' : `${data.level1.firstName} ${data.level1.lastName}`],
                  ['Date of birth', data.level1?.dateOfBirth ?? 'Not given'],
                  [
                    'Address',
                    data.level1 === null
                      ? 'Not given'
                      : [
                          data.level1.address.line1,
                          data.level1.address.line2,
                          `${data.level1.address.postalCode} ${data.level1.address.city}`,
                          data.level1.address.country,
                        ]
                          .filter((part) => part !== undefined && part !== '')
                          .join(', '),
                  ],
                  ['Phone', data.level1?.phone ?? 'Not given'],
                ]}
              />
            </Card>
            <Card title="Document">
              <Summary
                rows={[
                  ['Type', documentName[data.submission.documentType]],
                  ['Number', data.submission.documentNumber],
                  ['Issuing country', data.submission.issuingCountry],
                  ['Expires', data.submission.expiryDate],
                  [
                    'Status',
                    <span className={`status status-${data.submission.status}`}>
                      {statusName[data.submission.status]}
                    </span>,
                  ],
                ]}
              />
            </Card>
            {data.submission.status === 'pending' ? (
              <Card title="Decision">
                <ProblemAlert shown={problem} />
                <div className="stack">
                  <button type="button" className="button" disabled={busy} onClick={() => void decide('approve')}>
                    Approve
                  </button>
                  <form className="stack" onSubmit={reject} noValidate aria-label="Reject">
                    <Field
                      label="Reason for rejection"
                      name="reason"
                      maxLength={500}
                      error={reasonError}
                      hint="The person sees this reason."
                    />
                    <button type="submit" className="button button-danger" disabled={busy}>
                      Reject
                    </button>
                  </form>
                </div>
              </Card>
            ) : (
              <Notice tone={data.submission.status === 'approved' ? 'success' : 'warning'}>
                <p>
                  {data.submission.status === 'approved' ? 'Approved.' : 'Rejected.'}
                  {data.submission.rejectionReason === null ? '' : ` Reason: ${data.submission.rejectionReason}`}
                </p>
              </Notice>
            )}
          </div>
          <Card title="Uploaded file">
            <DocumentView submissionId={submissionId} mediaType={data.document.mediaType} />
          </Card>
        </div>
      )}
    </div>
  );
}
