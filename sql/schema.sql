-- The schema the migrations in sql/migrations produce, written by
-- `migrate dump` (pg_dump --schema-only, normalised). `migrate check`
-- compares a live database with it. Do not edit by hand.

CREATE FUNCTION public.users_touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := greatest(now(), OLD.created_at);
    RETURN NEW;
END;
$$;

CREATE TABLE public.job_outbox (
    id bigint NOT NULL,
    job_id uuid DEFAULT gen_random_uuid() NOT NULL,
    type text NOT NULL,
    queue text NOT NULL,
    args text NOT NULL,
    request_id text NOT NULL,
    user_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    claimed_until timestamp with time zone DEFAULT '-infinity'::timestamp with time zone NOT NULL,
    CONSTRAINT job_outbox_queue CHECK ((queue = ANY (ARRAY['high'::text, 'default'::text, 'low'::text])))
);

ALTER TABLE public.job_outbox ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.job_outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.users (
    id bigint NOT NULL,
    email text NOT NULL,
    hashed_password text NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_email_format CHECK (((char_length(email) <= 254) AND (email ~ '^[\x21-\x3f\x41-\x7e]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+$'::text))),
    CONSTRAINT users_hashed_password_bcrypt CHECK ((hashed_password ~ '^\$2b\$[0-9]{2}\$[./A-Za-z0-9]{53}$'::text)),
    CONSTRAINT users_name_length CHECK (((char_length(name) >= 1) AND (char_length(name) <= 100))),
    CONSTRAINT users_name_no_control CHECK ((name !~ '[\u0001-\u001f\u007f-\u009f]'::text)),
    CONSTRAINT users_name_trimmed CHECK (((name !~ '^[\t\n\v\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'::text) AND (name !~ '[\t\n\v\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$'::text))),
    CONSTRAINT users_updated_after_created CHECK ((updated_at >= created_at))
);

ALTER TABLE public.users ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.job_outbox
    ADD CONSTRAINT job_outbox_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE INDEX job_outbox_claimed_until ON public.job_outbox USING btree (claimed_until, id);

CREATE UNIQUE INDEX users_email_lower_key ON public.users USING btree (lower(email));

CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.users_touch_updated_at();
