-- Both input layouts feed this model (var input_source picks one at run time); the graph
-- keeps both, so that it is the same whatever the profile:
-- depends_on: {{ ref('stg_imaging__lesions') }}
-- depends_on: {{ ref('stg_sdtm__tu') }}
-- depends_on: {{ ref('stg_sdtm__tr') }}
-- Tumour lesion assessments: one row per patient, scan and lesion, in the shape every input
-- source (var input_source) feeds. SCAN_ID names one imaging assessment: the core-lab files
-- have one scan per date (the date is the scan); SDTM input can have several on one date, and
-- the response derivations keep them apart until the worst-wins step per date.
{%- if var('input_source') == 'edc' %}

select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    strftime(SCAN_DAT_DT, '%Y-%m-%d') as SCAN_ID,
    SCAN_DAT_DT as SCAN_DT,
    VISIT,
    LESION_ID,
    LESION_CLASS,
    ORGAN,
    LOCATION,
    VIABLE_DIAM_MM,
    TOTAL_DIAM_MM,
    NT_STATUS,
    TYPICAL,
    NE_REASON,
    source_file,
    source_line
from {{ ref('stg_imaging__lesions') }}
where SCAN_DAT_DT is not null
order by USUBJID, SCAN_DT, LESION_ID

{%- elif var('input_source') == 'sdtm' %}

-- SDTM: TR measurements of var sdtm_evaluator's lesions, classified by TU (TULNKID): target
-- longest diameter (LDIAM; short axis for nodes as RECIST records it) as VIABLE_DIAM_MM,
-- non-target state (TUMSTATE) as NT_STATUS. One assessment per evaluator reading and date.
with lesions as (
    select USUBJID, TULNKID, any_value(TUSTRESC) as TUSTRESC, any_value(TULOC) as TULOC
    from {{ ref('stg_sdtm__tu') }}
    where TUTESTCD = 'TUMIDENT' and coalesce(TUEVAL, '') = '{{ var("sdtm_evaluator") }}'
    group by USUBJID, TULNKID
),

results as (
    select
        tr.USUBJID,
        tr.TRLNKID,
        tr.TRDTC,
        coalesce(tr.TRDT, {{ dtc_first_possible_date('tr.TRDTC') }}) as SCAN_DT,
        tr.VISIT,
        tr.TRTESTCD,
        tr.TRSTRESC,
        tr.TRSTRESN,
        tr.TRSTAT,
        tr.source_file,
        tr.source_line
    from {{ ref('stg_sdtm__tr') }} as tr
    where coalesce(tr.TREVAL, '') = '{{ var("sdtm_evaluator") }}'
      and tr.TRTESTCD in ('LDIAM', 'TUMSTATE')
)

select
    results.USUBJID,
    results.USUBJID as SUBJID,
    strftime(results.SCAN_DT, '%Y-%m-%d') as SCAN_ID,
    results.SCAN_DT,
    any_value(results.VISIT) as VISIT,
    results.TRLNKID as LESION_ID,
    case lesions.TUSTRESC when 'NEW' then 'NEW' when 'NON-TARGET' then 'NON-TARGET' else 'TARGET' end as LESION_CLASS,
    any_value(lesions.TULOC) as ORGAN,
    cast(null as varchar) as LOCATION,
    max(results.TRSTRESN) filter (where results.TRTESTCD = 'LDIAM') as VIABLE_DIAM_MM,
    max(results.TRSTRESN) filter (where results.TRTESTCD = 'LDIAM') as TOTAL_DIAM_MM,
    max(results.TRSTRESC) filter (where results.TRTESTCD = 'TUMSTATE') as NT_STATUS,
    cast(null as varchar) as TYPICAL,
    max(results.TRSTAT) as NE_REASON,
    min(results.source_file) as source_file,
    min(results.source_line) as source_line
from results
inner join lesions
    on lesions.USUBJID = results.USUBJID
   and lesions.TULNKID = results.TRLNKID
where results.SCAN_DT is not null
group by all
order by results.USUBJID, results.SCAN_DT, LESION_ID

{%- else %}
{{ unsupported_input_source('int_tumour_lesions') }}
{%- endif %}
