using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class QueueAndBridging : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AdvisorCallSid",
                table: "Contacts",
                type: "TEXT",
                maxLength: 34,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "QueueExit",
                table: "Contacts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_AdvisorCallSid",
                table: "Contacts",
                column: "AdvisorCallSid");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Contacts_AdvisorCallSid",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "AdvisorCallSid",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "QueueExit",
                table: "Contacts");
        }
    }
}
