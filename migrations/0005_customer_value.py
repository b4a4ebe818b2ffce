"""Customer value scores: the `value_fits` table and the value columns of `customers`."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from crm_graphql.models.analytics import RfmSegment
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_access_audit_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ValueFit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('fitted_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('observation_end', fields.DateField(description='Purchases up to and including this UTC day were used.')),
                ('time_unit_days', fields.FloatField(description='Length in days of the time unit of alpha, t_x and T.')),
                ('horizon_days', fields.IntField(description='Horizon of the stored expected purchases.')),
                ('clv_months', fields.IntField(description='Horizon of the stored CLV.')),
                ('monthly_discount_rate', fields.FloatField(description='Discount rate of the stored CLV.')),
                ('customers', fields.IntField(description='Customers with at least one counted order.')),
                ('repeat_customers', fields.IntField(description='Of those, customers who bought on more than one day.')),
                ('bgnbd_r', fields.FloatField(null=True)),
                ('bgnbd_alpha', fields.FloatField(null=True)),
                ('bgnbd_a', fields.FloatField(null=True)),
                ('bgnbd_b', fields.FloatField(null=True)),
                ('bgnbd_log_likelihood', fields.FloatField(null=True)),
                ('bgnbd_converged', fields.BooleanField(null=True)),
                ('gg_p', fields.FloatField(null=True)),
                ('gg_q', fields.FloatField(null=True)),
                ('gg_gamma', fields.FloatField(null=True)),
                ('gg_log_likelihood', fields.FloatField(null=True)),
                ('gg_converged', fields.BooleanField(null=True)),
                ('fit_seconds', fields.FloatField(description='Time spent fitting, without reading and writing.')),
                ('note', fields.TextField(description='Why a model was not fitted or may not be trusted, if so.', unique=False)),
            ],
            options={'table': 'value_fits', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One fit of the customer value models.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Customer',
            name='age_units',
            field=fields.FloatField(null=True, description='BG/NBD T: first purchase to the observation end.'),
        ),
        ops.AddField(
            model_name='Customer',
            name='clv',
            field=fields.FloatField(default=0, description="Over the fit's months, discounted.", db_default=0),
        ),
        ops.AddField(
            model_name='Customer',
            name='expected_order_value',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='expected_purchases',
            field=fields.FloatField(default=0, description="In the fit's horizon.", db_default=0),
        ),
        ops.AddField(
            model_name='Customer',
            name='last_purchase_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='mean_repeat_value',
            field=fields.FloatField(null=True, description='Mean spend per repeat purchase day.'),
        ),
        ops.AddField(
            model_name='Customer',
            name='p_alive',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='purchase_days',
            field=fields.IntField(null=True, description='Days with at least one counted order.'),
        ),
        ops.AddField(
            model_name='Customer',
            name='recency_units',
            field=fields.FloatField(null=True, description='BG/NBD t_x: first to last purchase.'),
        ),
        ops.AddField(
            model_name='Customer',
            name='repeat_purchases',
            field=fields.IntField(null=True, description='BG/NBD x: purchase days after the first.'),
        ),
        ops.AddField(
            model_name='Customer',
            name='rfm_f',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='rfm_m',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='rfm_r',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='rfm_segment',
            field=fields.CharEnumField(null=True, description="CHAMPIONS: champions\nLOYAL: loyal\nPOTENTIAL_LOYALISTS: potential loyalists\nNEW: new\nPROMISING: promising\nNEED_ATTENTION: need attention\nAT_RISK: at risk\nCANT_LOSE_THEM: can't lose them\nHIBERNATING: hibernating\nLOST: lost", enum_type=RfmSegment, max_length=20),
        ),
        ops.AddField(
            model_name='Customer',
            name='total_spend',
            field=fields.FloatField(default=0, description='Sum of counted order totals.', db_default=0),
        ),
        ops.AddField(
            model_name='Customer',
            name='value_fit',
            field=fields.ForeignKeyField('models.ValueFit', source_field='value_fit_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['clv', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['expected_purchases', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['total_spend', 'id']),
        ),
    ]
