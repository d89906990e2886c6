{{ config(schema='quality', materialized='incremental', unique_key='QUERY_ID', on_schema_change='append_new_columns') }}
{#-
    Every clinical inconsistency a data manager must resolve (SPEC section 4), one row per query,
    kept across exports: FIRST_SEEN_EXPORT says since when a query is open, STATUS turns CLOSED
    when the newest export no longer shows it. Queries never block a refresh.
-#}
{%- set query_models = ['dq_exposure', 'dq_clinical_dates', 'dq_tumour', 'dq_adverse_events'] -%}
{%- set export_id = optional_var('export_id') or 'unknown' -%}

with current_queries as (
    {% for model in query_models %}
    select SUBJID, USUBJID, DOMAIN, RULE, MESSAGE, QUERY_DATE from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

identified as (
    select distinct
        md5(concat_ws('|', SUBJID, DOMAIN, RULE, MESSAGE)) as QUERY_ID,
        SUBJID, USUBJID, DOMAIN, RULE, MESSAGE, QUERY_DATE
    from current_queries
)

select
    identified.QUERY_ID,
    identified.SUBJID,
    identified.USUBJID,
    identified.DOMAIN,
    identified.RULE,
    identified.MESSAGE,
    identified.QUERY_DATE,
    {% if is_incremental() -%}
    coalesce(previous.FIRST_SEEN_EXPORT, '{{ export_id }}') as FIRST_SEEN_EXPORT,
    {%- else -%}
    '{{ export_id }}' as FIRST_SEEN_EXPORT,
    {%- endif %}
    '{{ export_id }}' as LAST_SEEN_EXPORT,
    'OPEN' as STATUS
from identified
{% if is_incremental() -%}
left join {{ this }} as previous using (QUERY_ID)

union all

-- Queries the newest export no longer raises: resolved at the source.
select
    QUERY_ID, SUBJID, USUBJID, DOMAIN, RULE, MESSAGE, QUERY_DATE, FIRST_SEEN_EXPORT, LAST_SEEN_EXPORT,
    'CLOSED' as STATUS
from {{ this }}
where QUERY_ID not in (select QUERY_ID from identified)
{%- endif %}
