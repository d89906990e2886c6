{{ config(schema='quality', materialized='table') }}
{#-
    Data queries on incomplete or repeated records, after pharmaverse sdtmchecks
    (docs/data_queries.md): the SDTM side of what the EDC input contract already guarantees at
    ingest (arm, death date, disposition dates, one end of study, lesion dates). They read the
    intermediate models either input layout feeds, and raise nothing on EDC input the contract
    admitted. Never blocking.
-#}
{%- set sdtm_input = "true" if var('input_source') == 'sdtm' else "false" %}

with disposition as (
    select * from {{ ref('int_disposition_records') }}
),

-- sdtmchecks check_dm_armcd: every enrolled patient has a planned arm and its code (the EDC
-- form collects the arm as its code, ARM, and no ARMCD).
arm_missing as (
    select
        SUBJID,
        USUBJID,
        'DEMOGRAPHY' as DOMAIN,
        'ARM_MISSING' as RULE,
        'arm' as RECORD_KEY,
        case
            when ARM is null and ARMCD is null then 'The planned arm (ARM) and its code (ARMCD) are missing'
            when ARM is null then 'The planned arm (ARM) is missing; its code is ' || ARMCD
            else 'The planned arm code (ARMCD) is missing; the arm is ' || ARM
        end as MESSAGE,
        cast(null as date) as QUERY_DATE
    from {{ ref('int_subjects') }}
    where ARM is null
       or (ARMCD is null and {{ sdtm_input }})  -- SDTM DM carries both
),

-- sdtmchecks check_dm_dthfl_dthdtc: the death flag and the death date go together (SDTM DM
-- DTHFL and DTHDTC; EDC: a date on a contact that does not report the death).
death_flag_date_inconsistent as (
    select
        SUBJID,
        USUBJID,
        'SURVIVAL' as DOMAIN,
        'DEATH_FLAG_DATE_INCONSISTENT' as RULE,
        'contact ' || CONTACT_SEQ as RECORD_KEY,
        case
            when DEATH_DTC is null then 'The death is flagged (DTHFL Y) but not dated; ask for the death date'
            else 'A death date (' || DEATH_DTC || ') is recorded but the death is not flagged (DTHFL '
                || coalesce(DTHFL, 'empty') || ')'
        end as MESSAGE,
        DEATH_DT as QUERY_DATE
    from {{ ref('int_survival_contacts') }}
    where (DTHFL = 'Y' and DEATH_DTC is null)
       or (coalesce(DTHFL, '') <> 'Y' and DEATH_DTC is not null)
),

-- sdtmchecks check_ds_dsdecod_dsstdtc: a death recorded in disposition is dated by at least one
-- of its disposition records (a follow-up record may leave the date to the end-of-study one).
death_disposition_date_missing as (
    select
        SUBJID,
        USUBJID,
        'DISPOSITION' as DOMAIN,
        'DEATH_DISPOSITION_DATE_MISSING' as RULE,
        'death' as RECORD_KEY,
        'Disposition records a death ('
            || string_agg(coalesce('DSSEQ ' || DSSEQ || ' ', '') || coalesce(DSCAT, 'no category'), ', ' order by DSSEQ)
            || ') but none dates it; ask for the death date' as MESSAGE,
        cast(null as date) as QUERY_DATE
    from disposition
    where DSDECOD = 'DEATH'
    group by SUBJID, USUBJID
    having bool_and(coalesce(trim(DSSTDTC), '') = '')
),

-- sdtmchecks check_ds_dsscat: one end of study per patient (EDC: the form's key; SDTM: one
-- disposition event, of which int_disposition keeps the latest).
end_of_study_duplicate as (
    select
        SUBJID,
        USUBJID,
        'DISPOSITION' as DOMAIN,
        'END_OF_STUDY_DUPLICATE' as RULE,
        'end of study' as RECORD_KEY,
        count(*) || ' end-of-study records ('
            || string_agg(
                coalesce('DSSEQ ' || DSSEQ || ' ', '') || DSDECOD || ' ' || coalesce(DSSTDTC, 'no date'), ', '
                order by DSSEQ
            )
            || '); keep one' as MESSAGE,
        max(DSSTDT) as QUERY_DATE
    from disposition
    where DSCAT = 'END OF STUDY'
    group by SUBJID, USUBJID
    having count(*) > 1
),

-- sdtmchecks check_ds_duplicate_randomization: a patient is randomised once (the EDC layout of
-- this non-randomised trial has no randomisation record).
randomisation_duplicate as (
    select
        SUBJID,
        USUBJID,
        'DISPOSITION' as DOMAIN,
        'RANDOMISATION_DUPLICATE' as RULE,
        'randomisation' as RECORD_KEY,
        count(*) || ' randomisation records ('
            || string_agg(coalesce('DSSEQ ' || DSSEQ || ' ', '') || coalesce(DSSTDTC, 'no date'), ', ' order by DSSEQ)
            || '); keep one' as MESSAGE,
        max(DSSTDT) as QUERY_DATE
    from disposition
    where upper(DSDECOD) like '%RANDOMIZ%'
    group by SUBJID, USUBJID
    having count(*) > 1
),

-- sdtmchecks check_tu_tudtc: the investigator's lesion identifications are dated (the EDC
-- core-lab file dates every lesion). A TU dataset that dates none of its records does not
-- carry TUDTC at all (it is expected, not required, in SDTM): nothing to ask the sites.
lesions as (
    select * from {{ ref('int_lesion_identifications') }}
),

lesion_identification_date_missing as (
    select
        SUBJID,
        USUBJID,
        'IMAGING' as DOMAIN,
        'LESION_IDENTIFICATION_DATE_MISSING' as RULE,
        coalesce('TUSEQ ' || TUSEQ, 'lesion ' || TULNKID) as RECORD_KEY,
        'Lesion ' || TULNKID || ' (' || coalesce(TUSTRESC, TUTESTCD) || coalesce(', ' || TULOC, '') || ') identified at '
            || coalesce(VISIT, 'no visit') || ' has no date (TUDTC)' as MESSAGE,
        cast(null as date) as QUERY_DATE
    from lesions
    where coalesce(trim(TUDTC), '') = ''
      and (upper(TUEVAL) = 'INVESTIGATOR' or coalesce(trim(TUEVAL), '') = '')
      and exists (select 1 from lesions as dated where coalesce(trim(dated.TUDTC), '') <> '')
)

select * from arm_missing
union all
select * from death_flag_date_inconsistent
union all
select * from death_disposition_date_missing
union all
select * from end_of_study_duplicate
union all
select * from randomisation_duplicate
union all
select * from lesion_identification_date_missing
