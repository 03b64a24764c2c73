using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CallbackCallerLeg : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CalleeCallSid",
                table: "Contacts",
                type: "TEXT",
                maxLength: 34,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_CalleeCallSid",
                table: "Contacts",
                column: "CalleeCallSid");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Contacts_CalleeCallSid",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "CalleeCallSid",
                table: "Contacts");
        }
    }
}
