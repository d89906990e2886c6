{#-
    mRECIST target response (SPEC section 5): one row per patient with measurable disease and
    post-baseline scan. The target sum is over the baseline targets (viable diameters); the nadir
    is the smallest complete sum before the scan, baseline included. Sums are exact decimals, so
    that "20 % over the nadir" and "30 % below baseline" are compared without rounding.
-#}
{%- set pd_min_abs_mm = var('pd_min_abs_mm') -%}

with

-- Step 1. Per scan: how many baseline targets were measured, how many show no viable tumour
-- (0 mm; a lymph node below 10 mm short axis counts as normal), and the sum of the measured ones.
scan_sums as (
    select
        USUBJID,
        SUBJID,
        SCAN_ID,
        SCAN_DT,
        min(VISIT) as VISIT,
        max(ABLFL) as ABLFL,
        count(*) as TARGETS,
        count(*) filter (where MEASUREMENT_STATUS = 'MEASURED') as TARGETS_MEASURED,
        count(*) filter (
            where MEASUREMENT_STATUS = 'MEASURED'
              and (VIABLE_DIAM_MM = 0 or (ORGAN = 'LYMPH NODE' and VIABLE_DIAM_MM < 10))
        ) as TARGETS_WITHOUT_VIABLE_TUMOUR,
        sum(cast(VIABLE_DIAM_MM as decimal(10, 2))) filter (where MEASUREMENT_STATUS = 'MEASURED') as TARGET_SUM
    from {{ ref('int_target_measurements') }}
    group by USUBJID, SUBJID, SCAN_ID, SCAN_DT
),

-- Step 2. Baseline sum and nadir. Only a complete sum (every target measured) can set the
-- nadir: a partial sum would understate it. The baseline sum always counts.
with_nadir as (
    select
        *,
        max(case when ABLFL = 'Y' then TARGET_SUM end) over (partition by USUBJID) as BASE_SUM,
        {{ nadir_before("case when ABLFL = 'Y' or TARGETS_MEASURED = TARGETS then TARGET_SUM end", 'USUBJID', 'SCAN_DT') }} as NADIR
    from scan_sums
),

-- Step 3. Target response, in this order:
--   PD: sum >= 1.2 x nadir and sum - nadir >= pd_min_abs_mm, and larger than the nadir (after a
--       CR the nadir is 0, and 0 again is no growth). Missing targets can only add to the sum,
--       so the measured ones alone can already make PD.
--   NE: any baseline target not measured.
--   CR: no viable tumour in any target.
--   PR: sum <= 0.7 x baseline sum.
--   SD: otherwise.
target_response as (
    select
        *,
        case
            when TARGET_SUM > NADIR
             and TARGET_SUM * 10 >= NADIR * 12
             and TARGET_SUM - NADIR >= {{ pd_min_abs_mm }} then 'PD'
            when TARGETS_MEASURED < TARGETS then 'NE'
            when TARGETS_WITHOUT_VIABLE_TUMOUR = TARGETS then 'CR'
            when TARGET_SUM * 10 <= BASE_SUM * 7 then 'PR'
            else 'SD'
        end as TRGRESP
    from with_nadir
)

select
    USUBJID,
    SUBJID,
    SCAN_ID,
    SCAN_DT,
    VISIT,
    TARGETS,
    TARGETS_MEASURED,
    TARGETS_WITHOUT_VIABLE_TUMOUR,
    cast(TARGET_SUM as double) as TARGET_SUM,
    cast(BASE_SUM as double) as BASE_SUM,
    cast(NADIR as double) as NADIR,
    TRGRESP
from target_response
where ABLFL is null
order by USUBJID, SCAN_DT, SCAN_ID
