{{ config(schema='quality', materialized='table') }}
-- Data queries on study treatment (SPEC section 4): rules a person must resolve, never blocking.

with subjects as (
    select USUBJID, SUBJID, ARM, WEIGHTBL from {{ ref('int_subjects') }}
),

first_lenvatinib as (
    select USUBJID, EXSTDT, EXDOSE
    from {{ ref('int_exposure') }}
    where EXTRT = 'LENVATINIB'
    qualify row_number() over (partition by USUBJID order by EXSTDT, EXSEQ) = 1
),

first_sirt as (
    select USUBJID, min(EXSTDT) as SIRTDT
    from {{ ref('int_exposure') }}
    where EXTRT = 'SIRT'
    group by USUBJID
),

-- Lenvatinib starts at 12 mg/day when baseline weight >= 60 kg, else 8 mg/day (study vars).
starting_dose as (
    select
        subjects.SUBJID,
        subjects.USUBJID,
        'EXPOSURE' as DOMAIN,
        'LEN_START_DOSE' as RULE,
        'first lenvatinib dose' as RECORD_KEY,
        'Lenvatinib started at ' || regexp_replace(cast(first_lenvatinib.EXDOSE as varchar), '\.0$', '') || ' mg on ' || upper(strftime(first_lenvatinib.EXSTDT, '%d %b %Y'))
            || ', but baseline weight ' || subjects.WEIGHTBL || ' kg calls for '
            || {{ lenvatinib_expected_starting_dose('subjects.WEIGHTBL') }} || ' mg' as MESSAGE,
        first_lenvatinib.EXSTDT as QUERY_DATE
    from subjects
    inner join first_lenvatinib using (USUBJID)
    where first_lenvatinib.EXDOSE <> {{ lenvatinib_expected_starting_dose('subjects.WEIGHTBL') }}
),

-- LEN+SIRT: lenvatinib starts 3 to 7 days after SIRT.
sirt_gap as (
    select
        subjects.SUBJID,
        subjects.USUBJID,
        'EXPOSURE' as DOMAIN,
        'SIRT_LEN_GAP' as RULE,
        'first lenvatinib dose' as RECORD_KEY,
        'Lenvatinib started ' || (first_lenvatinib.EXSTDT - first_sirt.SIRTDT) || ' days after SIRT ('
            || upper(strftime(first_sirt.SIRTDT, '%d %b %Y')) || ' to ' || upper(strftime(first_lenvatinib.EXSTDT, '%d %b %Y'))
            || '); the protocol allows 3 to 7 days' as MESSAGE,
        first_lenvatinib.EXSTDT as QUERY_DATE
    from subjects
    inner join first_sirt using (USUBJID)
    inner join first_lenvatinib using (USUBJID)
    where subjects.ARM = 'LEN+SIRT'
      and (first_lenvatinib.EXSTDT - first_sirt.SIRTDT) not between 3 and 7
)

select * from starting_dose
union all
select * from sirt_gap
