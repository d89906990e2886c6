-- Both input layouts feed this model (var input_source picks one at run time); the graph
-- keeps both, so that it is the same whatever the profile:
-- depends_on: {{ ref('stg_edc__ct') }}
-- New anticancer therapies started after study treatment (they end the assessments that count
-- for response and censor PFS).
{%- if var('input_source') == 'edc' %}

select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    CTSEQ,
    CTTYPE,
    CTNAME,
    CTSTDAT_DT as CTSTDT,
    source_file,
    source_line
from {{ ref('stg_edc__ct') }}
order by USUBJID, CTSEQ

{%- elif var('input_source') == 'sdtm' %}

-- SDTM: no new-anticancer-therapy domain is loaded (CM/PR), so nothing ends the assessments.
select
    cast(null as varchar) as USUBJID,
    cast(null as varchar) as SUBJID,
    cast(null as integer) as CTSEQ,
    cast(null as varchar) as CTTYPE,
    cast(null as varchar) as CTNAME,
    cast(null as date) as CTSTDT,
    cast(null as varchar) as source_file,
    cast(null as integer) as source_line
where false

{%- else %}
{{ unsupported_input_source('int_new_therapy') }}
{%- endif %}
