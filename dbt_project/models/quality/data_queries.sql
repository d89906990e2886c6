{{ config(schema='quality', materialized='incremental', unique_key='QUERY_ID', on_schema_change='append_new_columns') }}
{#-
    Every clinical inconsistency a data manager must resolve (SPEC section 4), one row per query,
    kept across exports and never deleted. A query is (rule, patient, record): QUERY_ID hashes
    SUBJID, RULE and RECORD_KEY, not the message, so a query whose values change (a dose entered
    again, still wrong) stays the same query.

    STATUS, for the export being built (var export_id):
      NEW       first raised by this export;
      OPEN      raised by this export and by an earlier one, never resolved in between;
      RESOLVED  raised before, not by this export (RESOLVED_EXPORT says from which export on);
      REOPENED  raised by this export after having been resolved.
    Building the same export again gives the same statuses. DAYS_OPEN counts from the export date
    that first raised it to the one that resolved it, or to this export's date.
    Queries never block a refresh.
-#}
{%- set query_models = [
    'dq_exposure', 'dq_clinical_dates', 'dq_tumour', 'dq_adverse_events',
    'dq_ae_consistency', 'dq_disposition', 'dq_imaging_visits', 'dq_record_completeness',
] -%}
{%- set export_id = run_value('export_id', 'varchar') or "'unknown'" -%}
{%- set export_date_sql = run_value('export_date', 'date') or 'current_date' -%}
{%- set history_columns = [
    ('QUERY_ID', 'varchar'), ('SUBJID', 'varchar'), ('USUBJID', 'varchar'), ('DOMAIN', 'varchar'),
    ('RULE', 'varchar'), ('RECORD_KEY', 'varchar'), ('MESSAGE', 'varchar'), ('QUERY_DATE', 'date'),
    ('FIRST_SEEN_EXPORT', 'varchar'), ('FIRST_SEEN_DATE', 'date'), ('LAST_SEEN_EXPORT', 'varchar'),
    ('STATUS', 'varchar'), ('RESOLVED_EXPORT', 'varchar'), ('RESOLVED_DATE', 'date'),
    ('REOPENED_EXPORT', 'varchar'),
] -%}
{#- A history written by older code lacks some columns: they read as empty. (A unit test's
    `this` is its fixture, which has every column.) -#}
{%- set existing = [] -%}
{%- if is_incremental() and this is not string -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}
        {%- do existing.append(column.name | upper) -%}
    {%- endfor -%}
{%- endif -%}
{%- if not existing -%}
    {%- for name, type in history_columns -%}{%- do existing.append(name) -%}{%- endfor -%}
{%- endif %}

with current_queries as (
    {% for model in query_models %}
    select SUBJID, USUBJID, DOMAIN, RULE, RECORD_KEY, MESSAGE, QUERY_DATE from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

identified as (
    select
        md5(concat_ws('|', SUBJID, RULE, RECORD_KEY)) as QUERY_ID,
        SUBJID, USUBJID, DOMAIN, RULE, RECORD_KEY,
        -- one record, one query: several messages of one record (rare) are listed together
        string_agg(distinct MESSAGE, '; ' order by MESSAGE) as MESSAGE,
        min(QUERY_DATE) as QUERY_DATE
    from current_queries
    group by all
),

previous as (
    {% if is_incremental() -%}
    select
        {% for name, type in history_columns -%}
        {% if name in existing %}{{ name }}{% else %}cast(null as {{ type }}) as {{ name }}{% endif %}{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ this }}
    {%- else -%}
    select
        {% for name, type in history_columns -%}
        cast(null as {{ type }}) as {{ name }}{% if not loop.last %},{% endif %}
        {% endfor %}
    where false
    {%- endif %}
),

raised as (
    select
        identified.*,
        coalesce(previous.FIRST_SEEN_EXPORT, {{ export_id }}) as FIRST_SEEN_EXPORT,
        coalesce(previous.FIRST_SEEN_DATE, {{ export_date_sql }}) as FIRST_SEEN_DATE,
        {{ export_id }} as LAST_SEEN_EXPORT,
        case
            when previous.QUERY_ID is null or previous.FIRST_SEEN_EXPORT = {{ export_id }} then 'NEW'
            when previous.STATUS in ('RESOLVED', 'CLOSED') then 'REOPENED'
            when previous.STATUS = 'REOPENED' and previous.REOPENED_EXPORT = {{ export_id }} then 'REOPENED'
            else 'OPEN'
        end as STATUS,
        previous.RESOLVED_EXPORT,
        previous.RESOLVED_DATE,
        case
            when previous.STATUS in ('RESOLVED', 'CLOSED') then {{ export_id }}
            else previous.REOPENED_EXPORT
        end as REOPENED_EXPORT
    from identified
    left join previous using (QUERY_ID)
),

-- Queries this export no longer raises: resolved at the source (kept, never deleted).
resolved as (
    select
        previous.QUERY_ID, previous.SUBJID, previous.USUBJID, previous.DOMAIN, previous.RULE,
        previous.RECORD_KEY, previous.MESSAGE, previous.QUERY_DATE, previous.FIRST_SEEN_EXPORT,
        previous.FIRST_SEEN_DATE, previous.LAST_SEEN_EXPORT,
        'RESOLVED' as STATUS,
        case
            when previous.STATUS in ('RESOLVED', 'CLOSED') then coalesce(previous.RESOLVED_EXPORT, previous.LAST_SEEN_EXPORT)
            else {{ export_id }}
        end as RESOLVED_EXPORT,
        case
            when previous.STATUS in ('RESOLVED', 'CLOSED') then previous.RESOLVED_DATE
            else {{ export_date_sql }}
        end as RESOLVED_DATE,
        previous.REOPENED_EXPORT
    from previous
    where previous.QUERY_ID not in (select identified.QUERY_ID from identified)
),

every_query as (
    select * from raised
    union all by name
    select * from resolved
)

select
    QUERY_ID, SUBJID, USUBJID, DOMAIN, RULE, RECORD_KEY, MESSAGE, QUERY_DATE,
    FIRST_SEEN_EXPORT, FIRST_SEEN_DATE, LAST_SEEN_EXPORT, STATUS, RESOLVED_EXPORT, RESOLVED_DATE, REOPENED_EXPORT,
    cast(coalesce(case when STATUS = 'RESOLVED' then RESOLVED_DATE end, {{ export_date_sql }}) - FIRST_SEEN_DATE as integer) as DAYS_OPEN
from every_query
