{#-
    ADRS: tumour response analysis dataset (BDS). SPEC section 5, "Which assessments count" and
    "Best overall response". Per FAS patient: one OVR row per assessment that counts
    (int_response_counted), and one row each of BOR, CBOR, RSP, CRSP, CCB, PD, DEATH, LSTA and
    MDIS. Responses are var response_source ('{{ var("response_source") }}'), recorded in PARCAT2.
    Each CTE is one parameter, in the order of the SAP; the rows are assembled at the end.
-#}

with

-- Step 1. FAS patients (efficacy is analysed on FAS, by planned arm).
patients as (
    select STUDYID, USUBJID, SUBJID, TRT01P, TRT01PN, STARTDT, DTHDT
    from {{ ref('adsl') }}
    where FASFL = 'Y'
),

counted as (
    select * from {{ ref('int_response_counted') }}
),

best as (
    select * from {{ ref('int_response_best') }}
),

-- Step 2. OVR: the overall response at each assessment that counts.
overall_response as (
    select USUBJID, 'OVR' as PARAMCD, AVALC, ADT
    from counted
),

-- Step 3. BOR and CBOR: best overall response, unconfirmed and confirmed, dated at the
-- (first) assessment giving it; NE without a date when there is no baseline assessment,
-- MISSING without a date when no assessment counts.
best_overall_response as (
    select USUBJID, 'BOR' as PARAMCD, BOR as AVALC, BORDT as ADT from best
    union all
    select USUBJID, 'CBOR', CBOR, CBORDT from best
),

-- Step 4. Responders.
--   RSP: BOR in CR/PR, dated at the first response (the first CR or PR, int_response_best
--   RSPDT: a PR before the first CR dates RSP, while BOR is dated at the CR).
--   CRSP: CBOR in CR/PR (the ORR), dated at the first response of the confirmed sequence.
--   CCB: CBOR in CR/PR/SD/NON-CR/NON-PD (the DCR; NON-CR/NON-PD is the SD of patients
--   without target lesions), dated as CBOR.
responders as (
    select
        USUBJID, 'RSP' as PARAMCD,
        case when BOR in ('CR', 'PR') then 'Y' else 'N' end as AVALC,
        case when BOR in ('CR', 'PR') then RSPDT end as ADT
    from best
    union all
    select
        USUBJID, 'CRSP',
        case when CBOR in ('CR', 'PR') then 'Y' else 'N' end,
        case when CBOR in ('CR', 'PR') then CRSPDT end
    from best
    union all
    select
        USUBJID, 'CCB',
        case when CBOR in ('CR', 'PR', 'SD', 'NON-CR/NON-PD') then 'Y' else 'N' end,
        case when CBOR in ('CR', 'PR', 'SD', 'NON-CR/NON-PD') then CBORDT end
    from best
),

-- Step 5. PD: any counted assessment is PD, dated at the first (counting stops there).
first_pd as (
    select USUBJID, min(ADT) as ADT from counted where AVALC = 'PD' group by USUBJID
),

progression as (
    select
        patients.USUBJID, 'PD' as PARAMCD,
        case when first_pd.ADT is not null then 'Y' else 'N' end as AVALC,
        first_pd.ADT
    from patients
    left join first_pd using (USUBJID)
),

-- Step 6. DEATH: death on or before the cut-off (ADSL DTHDT, partial dates imputed there).
death as (
    select
        USUBJID, 'DEATH' as PARAMCD,
        case when DTHDT is not null then 'Y' else 'N' end as AVALC,
        DTHDT as ADT
    from patients
),

-- Step 7. LSTA: the last adequate assessment (the latest counted one other than NE), with its
-- response; MISSING without a date when there is none.
last_adequate as (
    select USUBJID, AVALC, ADT
    from counted
    where ADEQFL = 'Y'
    qualify row_number() over (partition by USUBJID order by ADT desc) = 1
),

last_adequate_assessment as (
    select
        patients.USUBJID, 'LSTA' as PARAMCD,
        coalesce(last_adequate.AVALC, 'MISSING') as AVALC,
        last_adequate.ADT
    from patients
    left join last_adequate using (USUBJID)
),

-- Step 8. MDIS: measurable disease at baseline, dated at the baseline assessment.
measurable_disease as (
    select
        patients.USUBJID, 'MDIS' as PARAMCD,
        case when baseline.MDISFL = 'Y' then 'Y' else 'N' end as AVALC,
        baseline.BASEDT as ADT
    from patients
    left join {{ ref('int_tumour_baseline') }} as baseline using (USUBJID)
),

parameter_rows as (
    select * from overall_response
    union all select * from best_overall_response
    union all select * from responders
    union all select * from progression
    union all select * from death
    union all select * from last_adequate_assessment
    union all select * from measurable_disease
),

-- Step 9. Parameter names and categories. PARCAT2 is the response source for the
-- parameters derived from tumour assessments.
parameters (PARAMCD, PARAMN, PARAM, PARCAT1, FROM_ASSESSMENTS) as (
    values
        ('OVR', 1, 'Overall Response by mRECIST', 'TUMOUR RESPONSE', true),
        ('BOR', 2, 'Best Overall Response by mRECIST', 'TUMOUR RESPONSE', true),
        ('CBOR', 3, 'Best Confirmed Overall Response by mRECIST', 'TUMOUR RESPONSE', true),
        ('RSP', 4, 'Best Overall Response of CR/PR', 'TUMOUR RESPONSE', true),
        ('CRSP', 5, 'Best Confirmed Overall Response of CR/PR', 'TUMOUR RESPONSE', true),
        ('CCB', 6, 'Confirmed Disease Control (CR/PR/SD/NON-CR/NON-PD)', 'TUMOUR RESPONSE', true),
        ('PD', 7, 'Disease Progression by mRECIST', 'TUMOUR RESPONSE', true),
        ('DEATH', 8, 'Death', 'REFERENCE EVENT', false),
        ('LSTA', 9, 'Last Adequate Tumour Assessment', 'TUMOUR RESPONSE', true),
        ('MDIS', 10, 'Measurable Disease at Baseline', 'BASELINE DISEASE', false)
)

-- ADRS: one row per parameter row, with the assessment it was taken from (AVISIT and the
-- source of the response) when it has one.
select
    patients.STUDYID,
    patients.USUBJID,
    patients.SUBJID,
    patients.TRT01P,
    patients.TRT01PN,
    patients.STARTDT,
    cast(row_number() over (
        partition by patients.USUBJID
        order by parameters.PARAMN, parameter_rows.ADT
    ) as integer) as ASEQ,
    parameter_rows.PARAMCD,
    parameters.PARAMN,
    parameters.PARAM,
    parameters.PARCAT1,
    case when parameters.FROM_ASSESSMENTS then upper('{{ var("response_source") }}') end as PARCAT2,
    parameter_rows.AVALC,
    {{ response_aval('parameter_rows.AVALC') }} as AVAL,
    parameter_rows.ADT,
    {{ study_day('parameter_rows.ADT', 'patients.STARTDT') }} as ADY,
    case when parameter_rows.PARAMCD = 'OVR' then assessment.AVISIT end as AVISIT,
    'Y' as ANL01FL,
    case
        when parameters.FROM_ASSESSMENTS then assessment.SRCDOM
        when parameter_rows.PARAMCD = 'DEATH' and parameter_rows.ADT is not null then 'ADSL'
    end as SRCDOM,
    case
        when parameters.FROM_ASSESSMENTS then assessment.SRCVAR
        when parameter_rows.PARAMCD = 'DEATH' and parameter_rows.ADT is not null then 'DTHDT'
    end as SRCVAR,
    case when parameters.FROM_ASSESSMENTS then assessment.SRCSEQ end as SRCSEQ
from parameter_rows
inner join patients using (USUBJID)
inner join parameters using (PARAMCD)
left join counted as assessment
    on assessment.USUBJID = parameter_rows.USUBJID
   and assessment.ADT = parameter_rows.ADT
{{ key_order() }}
