-- KYC level 1: personal details; one row per user, replaced when resubmitted.
create table kyc_level1 (
  user_id uuid primary key references profiles (user_id),
  first_name text not null,
  last_name text not null,
  date_of_birth date not null,
  -- {line1, line2?, city, postalCode, country}: an open shape, so JSONB.
  address jsonb not null,
  phone text not null,
  submitted_at timestamptz not null default now()
);

-- Identity documents uploaded for KYC level 2, checked by their content (magic bytes).
create table kyc_documents (
  document_id uuid primary key,
  user_id uuid not null references profiles (user_id),
  media_type text not null,
  size_bytes integer not null,
  sha256 bytea not null,
  content bytea not null,
  uploaded_at timestamptz not null default now(),
  constraint kyc_documents_media_type check (media_type in ('image/jpeg', 'image/png', 'application/pdf')),
  constraint kyc_documents_size check (size_bytes between 1 and 5242880 and size_bytes = octet_length(content))
);

create index kyc_documents_user on kyc_documents (user_id);

-- KYC level 2 submissions: an identity document and its review.
create table kyc_level2 (
  submission_id uuid primary key,
  user_id uuid not null references profiles (user_id),
  document_type text not null,
  document_number text not null,
  issuing_country text not null,
  expiry_date date not null,
  document_id uuid not null references kyc_documents (document_id),
  status text not null default 'pending',
  submitted_at timestamptz not null default now(),
  reviewed_at timestamptz,
  reviewed_by uuid,
  rejection_reason text,
  constraint kyc_level2_status check (status in ('pending', 'approved', 'rejected')),
  constraint kyc_level2_document_type check (document_type in ('passport', 'id_card', 'driving_licence')),
  constraint kyc_level2_review check ((status = 'pending') = (reviewed_at is null)),
  constraint kyc_level2_reason check ((status = 'rejected') = (rejection_reason is not null))
);

-- At most one submission per user waits for review.
create unique index kyc_level2_one_pending on kyc_level2 (user_id) where status = 'pending';
create index kyc_level2_pending on kyc_level2 (submitted_at) where status = 'pending';
create index kyc_level2_user on kyc_level2 (user_id, submitted_at desc);
